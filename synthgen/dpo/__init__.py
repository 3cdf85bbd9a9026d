"""`synthgen preferences`: preference pairs (prompt / chosen / rejected) for DPO and reward models."""
