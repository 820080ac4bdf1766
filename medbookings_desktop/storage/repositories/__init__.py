"""Repositories: each turns one part of the domain into SQL and back."""
