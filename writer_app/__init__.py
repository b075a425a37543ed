"""写作伴侣 Writer Companion: an offline Chinese creative-writing assistant."""

__version__ = "0.1.0"
