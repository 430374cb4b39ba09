"""Entity types a policy may name without defining a recognizer: Presidio's predefined ones and the ones our
own built-in recognizers add (see recognizers.py)."""

PRESIDIO_ENTITIES = frozenset({
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "US_BANK_NUMBER",
    "US_DRIVER_LICENSE", "US_ITIN", "US_PASSPORT", "IP_ADDRESS", "URL", "DATE_TIME", "LOCATION", "NRP",
    "MEDICAL_LICENSE", "CRYPTO", "UK_NHS", "UK_NINO", "ES_NIF", "ES_NIE", "IT_FISCAL_CODE", "IT_DRIVER_LICENSE",
    "IT_VAT_CODE", "IT_PASSPORT", "IT_IDENTITY_CARD", "PL_PESEL", "SG_NRIC_FIN", "SG_UEN", "AU_ABN", "AU_ACN",
    "AU_TFN", "AU_MEDICARE", "IN_PAN", "IN_AADHAAR", "IN_VEHICLE_REGISTRATION", "IN_VOTER", "IN_PASSPORT",
    "FI_PERSONAL_IDENTITY_CODE", "ORGANIZATION",
})
# Added by Sparring's own recognizers (policy/recognizers.py).
SPARRING_ENTITIES = frozenset({"POSTCODE", "STREET_ADDRESS", "DATE_OF_BIRTH"})
KNOWN_ENTITIES = PRESIDIO_ENTITIES | SPARRING_ENTITIES
