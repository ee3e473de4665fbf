"""Support requests of tenants and their deadlines (take-charge, qualification, resolution)."""
