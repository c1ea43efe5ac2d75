"""Prompt templates (YAML), shipped as package data."""
