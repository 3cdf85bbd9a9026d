"""Model-written text shared by SFT and DPO: templates, Magpie, user-turn writers, gates, dedup."""
