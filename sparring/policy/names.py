"""Small gazetteers of given names and surnames common among a UK/EU/US customer base.

spaCy's small English model finds names by their capital letters, so `maria lopez` or `JOHN O'NEILL` in a
hastily typed prompt slip through. A name is flagged from these lists only as a pair (given name + surname,
or given name + a capitalised word) or after a title, so ordinary words are not mistaken for people. Given names
that are also everyday English words (will, may, mark, grace, ...) are left out on purpose.
"""

GIVEN_NAMES = frozenset("""
aaron abdul abigail adam adebayo adele adrian agnieszka ahmed aidan aisha alan alba albert aleksandra alessandro
alex alexander alexandra alfie ali alice alicia alison amanda amelia amir amy ana anders andrea andreas andrew
andrzej angela angus anita ann anna anne annie anthony antonio arjun arthur ashley aurelie barbara beatriz ben
benjamin bernard beth bethany brian bridget bruno callum cameron carl carla carlos caroline catherine cecile charles
charlie charlotte chen chloe chris christian christina christine christopher claire clara colin connor craig daniel
daniela danielle darren david deborah declan dennis derek diana diego dimitri dominic donald donna dylan edward
elena eleanor elif elizabeth ella ellie emily emma eric erik ethan eva evelyn fatima felix fiona florian francesca
francesco francisco freya gabriel gareth gary gemma george gerald gillian giovanni giulia graham gregory
hamza hannah harriet harry hassan heather helen henrik henry holly ian imogen ingrid isaac isabel isabella isla
ivan jacob james jamie jane janet jasmine jason javier jeffrey jennifer jeremy jessica joan joanna joao joe
joel johan johannes john jonathan jorge jose joseph josh joshua juan julia julian julie justin karen karim
kate katherine kathleen katie keith kelly kenneth kerry kevin kieran kim kirsty klaus krzysztof laura lauren leah
leo leon liam linda lisa liz lorenzo louis louise lucas lucia lucy luis luke magdalena marco margaret maria marie
marina marion martin martina mary mateo matteo matthew megan mehmet melissa mia michael michelle miguel mohammed
muhammad naomi natalia natalie nathan neil nicholas nicola nicole niamh nikolai noah oliver olivia omar owen
pablo patricia paul paula pawel pedro peter philip philippa pierre piotr priya rachel rahul rajesh rebecca richard
robert roberto rachael rosa ruth ryan sadia samantha samuel sandra sara sarah sean sebastian sergio shannon sharon
simon sinead siobhan sofia sophia sophie stefan stephanie stephen steven susan tanya thomas timothy tom tomasz
tracey tyler valentina vanessa victoria vikram vincent wei wendy william xavier yasmin yusuf zainab zoe zofia
aoife ciaran oisin padraig seamus eoin mairead ngozi chidi oluwaseun emeka folake kwame ama kofi thabo lerato
hiroshi yuki haruto sakura mei ling hyun minji raj anil sunita deepak pooja nadia leila yasmin farah tariq
""".split())

SURNAMES = frozenset("""
smith jones williams taylor davies evans wilson thomas johnson roberts robinson thompson wright walker edwards
hughes lewis harris clarke clark patel jackson turner martin cooper ward morris moore allen harrison morgan
phillips watson davis parker bennett griffiths mitchell kelly carter richardson bailey collins shaw murphy miller
cox richards khan marshall anderson simpson ellis adams singh begum wilkinson foster chapman powell webb rogers
mason ali hussain campbell matthews owen palmer holmes barnes lloyd butler russell barker fisher stevens jenkins
murray dixon harvey garcia rodriguez martinez hernandez lopez gonzalez perez sanchez ramirez torres flores rivera
gomez diaz nguyen chen wang zhang liu okafor okonkwo adeyemi mensah kowalski nowak wisniewski muller mueller schmidt
schneider fischer weber meyer wagner becker schulz hoffmann dubois durand lefebvre moreau laurent rossi russo
ferrari esposito bianchi romano silva santos ferreira pereira oliveira costa rodrigues martins jansen bakker
visser o'brien o'connor o'neill walsh byrne ryan kennedy doyle mccarthy o'sullivan fitzgerald johansson andersson
nielsen hansen larsen novak horvat popescu ivanov petrov sharma gupta kumar reddy rahman ahmed malik qureshi
chowdhury nakamura tanaka suzuki sato brennan fletcher lawson pearson reid fraser stewart macdonald robertson
thomson mcdonald mackenzie henderson ferguson hamilton gallagher quinn nolan mcLaughlin duffy kaur mahmood iqbal
akhtar osei boateng nwosu eze abubakar kovacs nagy svensson lindqvist virtanen korhonen jovanovic petrovic
""".lower().split())

# Titles that introduce a name even when the name itself is lower-case or unknown to the lists above.
TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame")

# Words spaCy sometimes glues to the front of a PERSON span in imperative prompts ("Call Mrs Okafor").
LEADING_VERBS = frozenset("""
call email e-mail ask tell thank dear hi hello hey contact phone ring remind summarise summarize draft write reply
cc forward message text chase invite greet
""".split())

# Role words the small model sometimes tags as a PERSON on their own ("Broker's office", "Claimant says").
ROLE_WORDS = frozenset("""
broker brokers customer customers claimant claimants policyholder policyholders insured adjuster adjusters handler
handlers manager managers team agent agents underwriter underwriters assessor assessors engineer contractor garage
colleague colleagues staff supplier suppliers caller complainant member partner director
""".split())

# Words after a given name that make it a place or a thing, not a person ("Victoria Street", "Sophie's Bakery").
NOT_SURNAMES = frozenset("""
street st road rd avenue ave lane drive close way court crescent place square gardens grove terrace hill park
station house hospital school college university centre center bridge quay wharf dock building tower hall
""".split())

# Towns and cities our customers and claims are in. spaCy's small model misses many of them next to a postcode
# or in lower-case notes; written with a capital letter they are matched here as LOCATION. Names that are also
# ordinary words (Reading, Bath, Wells, Nice, ...) are left out.
PLACES = (
    "London", "Manchester", "Birmingham", "Leeds", "Liverpool", "Sheffield", "Bristol", "Newcastle", "Nottingham",
    "Leicester", "Coventry", "Bradford", "Cardiff", "Swansea", "Edinburgh", "Glasgow", "Aberdeen", "Dundee",
    "Belfast", "Derry", "Plymouth", "Southampton", "Portsmouth", "Brighton", "Norwich", "Cambridge", "Oxford",
    "York", "Hull", "Exeter", "Ipswich", "Milton Keynes", "Northampton", "Luton", "Wolverhampton", "Stoke",
    "Sunderland", "Middlesbrough", "Bournemouth", "Swindon", "Gloucester", "Cheltenham", "Canterbury", "Chester",
    "Lancaster", "Preston", "Blackpool", "Bolton", "Wigan", "Stockport", "Huddersfield", "Harrogate", "Durham",
    "Inverness", "Perth", "Stirling", "Dublin", "Cork", "Galway", "Limerick", "Paris", "Lyon", "Marseille",
    "Berlin", "Munich", "Hamburg", "Frankfurt", "Madrid", "Barcelona", "Valencia", "Lisbon", "Porto", "Rome",
    "Milan", "Naples", "Amsterdam", "Rotterdam", "Brussels", "Antwerp", "Warsaw", "Krakow", "Vienna", "Zurich",
    "Geneva", "Copenhagen", "Stockholm", "Oslo", "Helsinki", "Prague", "Budapest", "Athens", "New York",
    "Chicago", "Boston", "Los Angeles", "San Francisco", "Seattle", "Miami", "Houston", "Dallas", "Atlanta",
    "Denver", "Philadelphia", "Washington", "Toronto", "Yorkshire", "Lancashire", "Somerset", "Devon", "Cornwall",
    "Kent", "Essex", "Surrey", "Sussex", "Norfolk", "Suffolk", "Cumbria", "Wales", "Scotland", "England",
)
