"""Errors of the service contract (catalogue, maintenance, support); branches of dsnlink.errors.

NotFoundError
└── UnknownOfferingError       no catalogue entry has this id
DsnlinkError
└── OfferingCatalogueError     a shipped catalogue file is invalid (packaging fault)
InputError
├── UnknownFormulaError        the offering has no such support formula
├── UnknownCriticityError      neither 1/2/3 nor one of the offering's labels
└── MaintenanceRefusedError    a planned maintenance outside the window or announced too late
"""

from __future__ import annotations

from dsnlink.errors import DsnlinkError, InputError, NotFoundError


class UnknownOfferingError(NotFoundError):
    code = "unknown-offering"


class OfferingCatalogueError(DsnlinkError):
    code = "offering-catalogue"


class UnknownFormulaError(InputError):
    code = "unknown-formula"


class UnknownCriticityError(InputError):
    code = "unknown-criticity"


class MaintenanceRefusedError(InputError):
    code = "maintenance-refused"
