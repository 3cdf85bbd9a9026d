"""Generators: each turns attempt plans into backend requests and parses completions into rows."""
