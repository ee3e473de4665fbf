"""The running service's status: incidents, maintenances, component probes, the status page."""
