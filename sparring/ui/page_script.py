"""What runs in the learner's browser and nowhere else: drafts, the address bar, the leave-page warning.

Drafts stay in the browser (localStorage, one key per signed-in user and scenario): the server never stores an
unsent answer (docs/design.md, no raw personal data at rest). They are cleared when the answer is submitted and
when the person signs out (a shared computer keeps no one's draft).

The address bar names what is open (`?scenario=ID&tab=practice`, `?tab=progress`) with history.replaceState, so a
refresh or a shared link opens the same screen; app.url_open reads it on load.
"""

from __future__ import annotations

# Read by tests/browser/test_learner_screens.py too: the localStorage prefix of every draft.
DRAFT_PREFIX = "sparring-draft:"

HEAD = """<script>
(() => {
  const PREFIX = %(prefix)r;
  const q = (sel) => document.querySelector(sel);
  const qa = (sel) => Array.from(document.querySelectorAll(sel));
  const field = (sel) => { const el = q(sel); return el ? el.value : ''; };
  const user = () => { const c = q('#whoami code'); return c ? c.innerText.trim() : ''; };
  const openScenario = () => field('#draft-key textarea, #draft-key input').trim();
  const key = (sid) => PREFIX + user() + ':' + sid;

  // The answer on screen, per kind; only what the learner typed or chose.
  function collect() {
    const d = {prompt: field('#frame-prompt textarea'), justification: field('#trust-justification textarea'),
               decision: '', confidence: '', checks: [], reasons: []};
    const radio = q('#trust-decision input[type=radio]:checked');
    if (radio) d.decision = radio.value;
    const slider = q('#trust-confidence input[type=number]');
    if (slider) d.confidence = slider.value;
    for (let i = 0; i < 20; i++) {
      const c = q('#spot-check-' + i + ' input');
      d.checks.push(!!(c && c.checked));
      d.reasons.push(field('#spot-reason-' + i + ' textarea'));
    }
    return d;
  }
  const empty = (d) => !d || (!d.prompt.trim() && !d.justification.trim() && !d.decision &&
                              !d.checks.some(Boolean) && !d.reasons.some(r => r.trim()));

  function status(text) { const s = q('#sp-draft-status'); if (s) s.textContent = text; }

  let timer = null;
  function save() {
    const sid = openScenario();
    if (!sid || !user()) return;
    const d = collect();
    try {
      if (empty(d)) { localStorage.removeItem(key(sid)); status(''); }
      else { localStorage.setItem(key(sid), JSON.stringify(d)); status('Draft saved in this browser.'); }
    } catch (e) { status('This browser cannot keep a draft (storage is full or blocked).'); }
  }
  function later() { clearTimeout(timer); timer = setTimeout(save, 300); }

  // Gradio selects the first tab as the page boots, and each tab select names itself in the address: the address
  // the person came with is kept here, read once by the load event (READ_URL), before any tab may rename it.
  const initialQuery = location.search;
  let urlRead = false;

  window.sparring = {
    takeInitialQuery() { urlRead = true; return initialQuery.replace(/^[?]/, ''); },
    // true until the page load has listed the scenarios and read the address (url_open)
    booting() { return !urlRead; },
    // the stored draft of a scenario, as a JSON string ('' for none): the open events pass it to the server,
    // which puts it back in the boxes (and keeps nothing)
    readDraft(sid) {
      if (!sid) return '';
      try { return localStorage.getItem(key(sid)) || ''; } catch (e) { return ''; }
    },
    clearDraft() {
      clearTimeout(timer);
      const sid = openScenario();
      if (sid) { try { localStorage.removeItem(key(sid)); } catch (e) {} }
      status('');
    },
    hasDraft() {
      const sid = openScenario();
      return !!(sid && this.readDraft(sid)) && !empty(collect());
    },
    // the screen in the address bar; a scenario is named only with the practice tab
    setUrl(tab, sid, always) {
      if (!urlRead && !always) return;  // a tab selected while the page boots does not rename the address
      const p = new URLSearchParams();
      if (tab === 'practice' && (sid || openScenario())) p.set('scenario', sid || openScenario());
      if (tab) p.set('tab', tab);
      history.replaceState(history.state, '', location.pathname + (p.toString() ? '?' + p : '') + location.hash);
    },
  };

  // Saved as the learner types or ticks (one write per pause), in the practice screen only.
  for (const type of ['input', 'change']) {
    document.addEventListener(type, (e) => {
      if (e.target && e.target.closest && e.target.closest('#practice-screen')) later();
    }, true);
  }
  // Vega draws the progress chart as an SVG whose every dot is an unnamed graphics element; the chart repeats the
  // tables below it, so screen readers get one name for the whole chart and skip the drawing.
  new MutationObserver(() => {
    qa('.gradio-container .vega-embed:not([data-sp-named])').forEach(el => {
      el.setAttribute('data-sp-named', '');
      el.setAttribute('role', 'img');
      el.setAttribute('aria-label', 'Chart of your scores over time; the same figures are in the tables below.');
    });
    qa('.gradio-container .vega-embed svg:not([aria-hidden])').forEach(svg => svg.setAttribute('aria-hidden', 'true'));
    // a material table wider than a phone scrolls inside itself: reachable by keyboard too (arrow keys)
    // the same for the staff tables of figures (.sp-tables: Insights, Author), at every width (a resize adds no node)
    qa('.sp-panel table:not([tabindex]), .sp-tables table:not([tabindex])').forEach(t => t.setAttribute('tabindex', '0'));
  }).observe(document.documentElement, {childList: true, subtree: true});
  window.addEventListener('beforeunload', (e) => {
    if (window.sparring.hasDraft()) { e.preventDefault(); e.returnValue = ''; }
  });
  document.addEventListener('click', (e) => {
    const out = e.target && e.target.closest && e.target.closest('#sign-out');
    if (!out) return;
    try { Object.keys(localStorage).filter(k => k.startsWith(PREFIX)).forEach(k => localStorage.removeItem(k)); }
    catch (err) {}
  }, true);
})();
</script>""" % {"prefix": DRAFT_PREFIX}

# Event hooks (Gradio `js=`): each returns the inputs the server handler receives.
READ_DRAFT_OF_PICK = "(sid, d) => [sid, window.sparring ? window.sparring.readDraft(sid) : '']"
READ_DRAFT_OF_SPOT = ("(k, d) => [k, window.sparring ? window.sparring.readDraft(String(k || '').split('@')[0])"
                      " : '']")
READ_URL = ("(d, u) => { if (!window.sparring) return ['', ''];"
            " const q = window.sparring.takeInitialQuery();"
            " return [window.sparring.readDraft(new URLSearchParams(q).get('scenario') || ''), q]; }")
# The Scenarios tab's select: its last input says whether the page is still booting (app.create_ui,
# catalogue.tab_load); without this script it says no, and the tab loads the list as before.
BOOTING = "(...a) => [...a.slice(0, -1), !!(window.sparring && window.sparring.booting())]"
CLEAR_DRAFT = "() => { if (window.sparring) window.sparring.clearDraft(); }"


def set_url(tab: str) -> str:
    """The js hook that names `tab` (and, for practice, the open scenario) in the address bar."""
    return f"() => {{ if (window.sparring) window.sparring.setUrl({tab!r}); }}"


def set_url_scenario() -> str:
    return "(sid) => { if (window.sparring && sid) window.sparring.setUrl('practice', sid, true); }"
