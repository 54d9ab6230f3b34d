"""Blueprints, one per audience; what several of them share lives outside this package."""
