"""The simulated Hub: synthetic listings with ground truth, served as the Hub API on 127.0.0.1."""
