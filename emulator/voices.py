"""Azure neural voice names mapped to espeak-ng voices, and the service's voice list.

Each Azure voice maps to an espeak-ng language voice for its locale plus a variant chosen by
gender (`+f1`…`+f4` for female, `+m1`…`+m4` for male), so different Azure voices of one
locale sound (slightly) different. Lookups are case-insensitive, as the service's are.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Voice", "VOICES", "find_voice", "voice_list"]


@dataclass(frozen=True)
class Voice:
    name: str  # Azure short name, e.g. en-US-JennyNeural
    locale: str
    locale_name: str
    gender: str  # Female | Male
    espeak: str  # espeak-ng voice (language) name
    variant: str  # espeak-ng variant, e.g. f3
    words_per_minute: int = 150

    @property
    def display_name(self) -> str:
        base = self.name.split("-", 2)[2].removesuffix("Neural")
        return base.removesuffix("Multilingual") if base.endswith("Multilingual") else base

    @property
    def espeak_name(self) -> str:
        return f"{self.espeak}+{self.variant}"


# locale: (locale name, espeak voice, [(voice, gender), ...])
_LOCALES: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "en-US": (
        "English (United States)",
        "en-US",
        [
            ("AvaMultilingualNeural", "Female"),
            ("AndrewMultilingualNeural", "Male"),
            ("EmmaMultilingualNeural", "Female"),
            ("BrianMultilingualNeural", "Male"),
            ("JennyNeural", "Female"),
            ("GuyNeural", "Male"),
            ("AriaNeural", "Female"),
            ("DavisNeural", "Male"),
            ("AndrewNeural", "Male"),
            ("AvaNeural", "Female"),
        ],
    ),
    "en-GB": (
        "English (United Kingdom)",
        "en",
        [("SoniaNeural", "Female"), ("RyanNeural", "Male"), ("LibbyNeural", "Female")],
    ),
    "de-DE": (
        "German (Germany)",
        "de",
        [
            ("KatjaNeural", "Female"),
            ("ConradNeural", "Male"),
            ("AmalaNeural", "Female"),
            ("SeraphinaMultilingualNeural", "Female"),
        ],
    ),
    "fr-FR": (
        "French (France)",
        "fr",
        [
            ("DeniseNeural", "Female"),
            ("HenriNeural", "Male"),
            ("VivienneMultilingualNeural", "Female"),
        ],
    ),
    "es-ES": (
        "Spanish (Spain)",
        "es",
        [("ElviraNeural", "Female"), ("AlvaroNeural", "Male"), ("XimenaNeural", "Female")],
    ),
    "it-IT": (
        "Italian (Italy)",
        "it",
        [("ElsaNeural", "Female"), ("DiegoNeural", "Male"), ("IsabellaNeural", "Female")],
    ),
    "pt-BR": (
        "Portuguese (Brazil)",
        "pt-BR",
        [("FranciscaNeural", "Female"), ("AntonioNeural", "Male"), ("ThalitaNeural", "Female")],
    ),
    "zh-CN": (
        "Chinese (Mandarin, Simplified)",
        "cmn",
        [("XiaoxiaoNeural", "Female"), ("YunxiNeural", "Male"), ("YunyangNeural", "Male")],
    ),
    "ja-JP": (
        "Japanese (Japan)",
        "ja",
        [("NanamiNeural", "Female"), ("KeitaNeural", "Male"), ("AoiNeural", "Female")],
    ),
}


def _build() -> dict[str, Voice]:
    voices: dict[str, Voice] = {}
    for locale, (locale_name, espeak, names) in _LOCALES.items():
        female = male = 0
        for short, gender in names:
            if gender == "Female":
                female += 1
                variant = f"f{(female - 1) % 4 + 1}"
            else:
                male += 1
                variant = f"m{(male - 1) % 4 + 1}"
            name = f"{locale}-{short}"
            voices[name.lower()] = Voice(name, locale, locale_name, gender, espeak, variant)
    return voices


VOICES: dict[str, Voice] = _build()


def find_voice(name: str) -> Voice | None:
    """The voice with this Azure name (case-insensitive), or None."""
    return VOICES.get(name.strip().lower())


def voice_list(region: str = "local") -> list[dict]:
    """The `GET /cognitiveservices/voices/list` body for the voices mapped here."""
    out = []
    for voice in VOICES.values():
        out.append(
            {
                "Name": f"Microsoft Server Speech Text to Speech Voice ({voice.locale}, "
                f"{voice.name.split('-', 2)[2]})",
                "DisplayName": voice.display_name,
                "LocalName": voice.display_name,
                "ShortName": voice.name,
                "Gender": voice.gender,
                "Locale": voice.locale,
                "LocaleName": voice.locale_name,
                "SampleRateHertz": "24000",
                "VoiceType": "Neural",
                "Status": "GA",
                "WordsPerMinute": str(voice.words_per_minute),
            }
        )
    return out
