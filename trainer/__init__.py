"""Rebuild the ticket classifier from the helpdesk's history in SQL."""
