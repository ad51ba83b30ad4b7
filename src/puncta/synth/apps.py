from django.apps import AppConfig


class SynthConfig(AppConfig):
    """Synthetic clinic networks (`puncta seed`): the top layer, importing every app."""

    name = "puncta.synth"
    verbose_name = "Synthetic data"
