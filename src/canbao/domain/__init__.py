"""The domain: plain values and facts, standard library only."""
