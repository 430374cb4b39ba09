"""Presidio's lemma context enhancer, made cheap enough to run on every prompt.

Same rule as `LemmaContextAwareEnhancer` (a recognizer's context word found, as a substring, among the keywords
in the N words before and M words after a match lifts its score), without the three costs it pays per call on a
100-word prompt: a deep copy of every result (the results are built fresh for each analysis, so they are
updated in place), a linear walk over the spaCy Doc to find each match's token (bisection over token end offsets
instead) and list membership tests against the keyword list (a set instead). Needs LeanNlpArtifacts (nlp.py);
with other artifacts it falls back to Presidio's own code.
"""

from __future__ import annotations

from presidio_analyzer import RecognizerResult
from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer, LemmaContextAwareEnhancer

from .nlp import LeanNlpArtifacts


class LeanContextEnhancer(LemmaContextAwareEnhancer):

    def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
        if not isinstance(nlp_artifacts, LeanNlpArtifacts):
            return super().enhance_using_context(text, raw_results, nlp_artifacts, recognizers, context)
        by_id = {r.id: r for r in recognizers}
        extra = [w.lower() for w in context] if context else []
        for result in raw_results:
            meta = result.recognition_metadata or {}
            recognizer = by_id.get(meta.get(RecognizerResult.RECOGNIZER_IDENTIFIER_KEY))
            if recognizer is None or not recognizer.context or meta.get(
                    RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY):
                continue
            words = self._window(nlp_artifacts, result.start) + extra
            word = self._find_supportive_word_in_context(words, recognizer.context, self.context_matching_mode)
            if word:
                result.score = min(max(result.score + self.context_similarity_factor,
                                       self.min_score_with_context_similarity), ContextAwareEnhancer.MAX_SCORE)
                result.analysis_explanation.set_supportive_context_word(word)
                result.analysis_explanation.set_improved_score(result.score)
        return raw_results

    def _window(self, art: LeanNlpArtifacts, start: int) -> list[str]:
        """Keywords among the match's token and the words around it (as Presidio's _extract_surrounding_words)."""
        if not art.lemmas:
            return [""]
        i = art.token_at(start)
        out = []
        for step, n in ((-1, self.context_prefix_count), (1, self.context_suffix_count)):
            j, remaining = i, n + 1
            while 0 <= j < len(art.lemmas) and remaining > 0:
                if art.lemmas[j] in art.keyword_set:
                    out.append(art.lemmas[j])
                    remaining -= 1
                j += step
        return list(set(out))
