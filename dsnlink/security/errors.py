"""Errors of the security package; branches of dsnlink.errors.

DsnlinkError
└── KeyConfigurationError   a master or signing key is missing, a placeholder, or unreadable
InputError
└── CorruptSecretError      a ciphertext cannot be decrypted with any configured key
"""

from __future__ import annotations

from dsnlink.errors import DsnlinkError


class KeyConfigurationError(DsnlinkError):
    code = "key-configuration"


class CorruptSecretError(DsnlinkError):
    code = "corrupt-secret"
