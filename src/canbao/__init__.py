"""canbao (参保): basic medical insurance enrollment and contribution collection."""

__version__ = "0.1.0"
