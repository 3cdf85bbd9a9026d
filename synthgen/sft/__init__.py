"""`synthgen instructions`: instruction-response pairs for SFT (TRL conversational `messages`)."""
