"""Identity numbers: Chinese resident identity numbers and related permits."""
