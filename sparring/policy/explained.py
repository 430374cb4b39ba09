"""The base of Sparring's own code-based recognizers: each finding carries its reason, so a compliance officer
reading `sparring policy check` or the Policy lab sees why a span was flagged."""

from __future__ import annotations

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult


class ExplainedRecognizer(EntityRecognizer):
    """A recognizer with nothing to load whose results name the recognizer and the reason (`why`)."""

    name: str  # set by EntityRecognizer.__init__ (presidio leaves it unannotated)

    def load(self) -> None:  # nothing to load; required by EntityRecognizer
        pass

    def _result(self, start: int, end: int, score: float, why: str) -> RecognizerResult:
        expl = AnalysisExplanation(recognizer=self.name, original_score=score, pattern_name=why,
                                   textual_explanation=why)
        return RecognizerResult(self.supported_entities[0], start, end, score, analysis_explanation=expl,
                                recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                                      RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id})
