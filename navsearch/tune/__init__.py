"""`navsearch tune`: fine-tune the encoder on an index's own structure and, when given,
labelled query/passage pairs (pairs.py, qrels.py, negatives.py, train.py, run.py)."""
