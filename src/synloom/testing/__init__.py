"""Test and benchmark helpers shipped with synloom (a fake OpenAI-compatible server)."""
