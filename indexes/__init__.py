"""MSEA exemplar indexes (vectors.npy + JSON), shipped as package data."""
