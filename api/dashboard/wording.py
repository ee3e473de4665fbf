"""What the dashboard says when the domain refuses something: French, from the error's class and
its typed context (the domain's own messages are English, for logs and the API)."""

from __future__ import annotations

from typing import Any

from api.dashboard.templating import paris
from dsnlink.errors import (
    ConflictError,
    DeadlineError,
    DsnlinkError,
    ForbiddenError,
    InputError,
    LimitExceeded,
    NotFoundError,
    UnavailableError,
)


def _when(value: Any) -> str:
    from datetime import datetime

    if isinstance(value, datetime):
        return paris(value, with_zone=True)
    if isinstance(value, str):
        try:
            return paris(datetime.fromisoformat(value), with_zone=True)
        except ValueError:
            return value
    return "—"


# By class name, most specific first: each takes the error's context.
MESSAGES: dict[str, Any] = {
    "AlreadyOrdered": lambda c: (
        "La transmission de cette déclaration a déjà été ordonnée"
        + (f" le {_when(c['ordered_at'])}" if c.get("ordered_at") else "")
        + " : elle ne sera pas envoyée deux fois."
    ),
    "NotTransmittable": lambda c: (
        "Cette déclaration ne peut pas être transmise dans son état actuel (seules les "
        "déclarations validées, ou dont la transmission a échoué, peuvent l'être)."
    ),
    "DeclarationRejected": lambda c: (
        "Le fichier est rejeté par les contrôles de la norme DSN"
        + (
            f" ({len(c['anomalies'])} anomalie(s) bloquante(s) listée(s) ci-dessous)"
            if c.get("anomalies")
            else ""
        )
        + " : corrigez-le dans votre logiciel de paie et déposez-le de nouveau."
    ),
    "UnsupportedUpload": lambda c: (
        "Ce fichier n'est pas une DSN lisible : déposez le fichier "
        "texte produit par votre logiciel de paie (éventuellement compressé en .gz)."
    ),
    "EmptyUpload": lambda c: "Le fichier est vide.",
    "UnidentifiableDeclaration": lambda c: (
        "Impossible d'identifier la déclaration (SIRET, mois "
        "ou nature illisibles) : vérifiez les blocs S20 et S21.G00.06/11 du fichier."
    ),
    "ForeignEstablishment": lambda c: (
        "L'établissement de ce fichier n'est pas enregistré pour "
        "votre compte (ou vous n'y avez pas accès) : ajoutez l'entreprise d'abord."
    ),
    "DuplicateDeclaration": lambda c: "Ce fichier a déjà été reçu.",
    "UploadTooLarge": lambda c: "Le fichier dépasse la taille maximale acceptée.",
    "QuotaExceeded": lambda c: "Le quota de votre offre est atteint pour cette période.",
    "CutoffPassed": lambda c: (
        "L'heure limite DSN Link est dépassée : confirmez le dépôt tardif "
        "(transmission sans garantie)."
    ),
    "IllegalTransition": lambda c: (
        "Cette action n'est pas possible dans l'état actuel de la déclaration."
    ),
    "TenantNotActivated": lambda c: (
        "Votre compte n'est pas encore mis en service : aucune transmission ne peut être ordonnée."
    ),
    "AdministratorRequired": lambda c: "Seul un administrateur peut faire cela.",
    "ApiKeyRevoked": lambda c: "Cette clé d'API est déjà révoquée.",
    "InvalidSiret": lambda c: "Ce SIRET n'est pas valide (14 chiffres, clé de Luhn).",
    "InvalidSiren": lambda c: "Ce SIREN n'est pas valide (9 chiffres, clé de Luhn).",
    "AlreadyExists": lambda c: "Cet élément existe déjà.",
}
BY_FAMILY: tuple[tuple[type[DsnlinkError], str], ...] = (
    (NotFoundError, "Introuvable : cet élément n'existe pas ou vous n'y avez pas accès."),
    (ForbiddenError, "Accès refusé."),
    (ConflictError, "Cette action entre en conflit avec l'état actuel : rechargez la page."),
    (LimitExceeded, "Une limite est atteinte : réessayez plus tard."),
    (DeadlineError, "Une échéance s'y oppose."),
    (UnavailableError, "Le service est momentanément indisponible : réessayez dans un instant."),
    (InputError, "La demande est incorrecte."),
)


def french_error(exc: DsnlinkError) -> str:
    """The French sentence a person reads for this refusal (French messages pass through)."""
    for cls in type(exc).__mro__:
        wording = MESSAGES.get(cls.__name__)
        if wording is not None:
            return str(wording(exc.context))
    if exc.context.get("french"):
        return str(exc.context["french"])
    for family, text in BY_FAMILY:
        if isinstance(exc, family):
            # A message already written in French (alerts, forms) is more precise.
            if any(ch in exc.message for ch in "éèàçù«"):
                return exc.message
            return text
    return exc.message if any(ch in exc.message for ch in "éèàçù«") else "Une erreur est survenue."
