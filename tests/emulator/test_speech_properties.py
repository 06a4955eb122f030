"""Property test: any short text synthesises, and its timings fit the audio."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.speech import engine
from emulator.ssml import plain_pieces

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)


@given(
    text=TEXT,
    voice=st.sampled_from(["en-US-JennyNeural", "de-DE-ConradNeural", "ja-JP-KeitaNeural"]),
)
@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_any_text_renders_with_ordered_timings_inside_the_audio(text, voice):
    rendering = engine().render(plain_pieces(text, voice))
    total = len(rendering.samples)
    for items in (rendering.words, rendering.sentences):
        starts = [b.start for b in items]
        assert starts == sorted(starts)
        for b in items:
            assert 0 <= b.start < b.end <= total or (b.start == b.end == total)
            assert b.text.strip()
