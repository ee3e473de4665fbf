"""French (and English) texts of problem details: a title and a detail template per stable
`code`, filled from the error's typed context. A person reads them, so they are French by
default; `Accept-Language: en` gives the domain's English message.

Times are shown in Europe/Paris with their offset; a template whose context is incomplete falls
back to the code's plain French sentence, then to the status's. The extension members keep the
machine-readable context (UTC timestamps, identifiers) unchanged.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

# Codes whose domain message is already written in French, for a person (its detail as is).
FRENCH_DOMAIN_MESSAGES: dict[str, str] = {
    "declarant-not-ready": "Le déclarant ne peut pas déposer",
    "msa-deposit-point": "Fichier destiné au point de dépôt de la MSA",
}

# code → (title, detail template, detail without context)
TEXTS: dict[str, tuple[str, str, str]] = {
    # added with the transmission, security and norm work
    "storage-quota-exceeded": (
        "Espace de stockage épuisé",
        "Enregistrer ce fichier ({requested} octets) dépasserait le quota de stockage du client "
        "({value} octets, dont {used} déjà utilisés) : supprimez les déclarations rejetées "
        "dont vous n'avez plus besoin, ou demandez à l'opérateur de relever le quota.",
        "Enregistrer ce fichier dépasserait le quota de stockage du client : supprimez les "
        "déclarations rejetées inutiles, ou demandez à l'opérateur de relever le quota.",
    ),
    "declarant-in-use": (
        "Déclarant utilisé par des transmissions en cours",
        "{in_flight} transmission(s) sont en cours pour les entreprises du déclarant "
        "{declarant_id} : attendez qu'elles soient terminées avant de le retirer.",
        "Des transmissions sont en cours pour les entreprises de ce déclarant : attendez "
        "qu'elles soient terminées avant de le retirer.",
    ),
    "job-in-flight": (
        "Transmission déjà en file d'attente",
        "La transmission de la déclaration {declaration_id} est déjà en file d'attente : "
        "suivez son statut, elle n'est pas ordonnée une seconde fois.",
        "Cette transmission est déjà en file d'attente : suivez son statut.",
    ),
    "acting-as-another-administrator": (
        "Action réservée à l'administrateur concerné",
        "Un administrateur ne peut ni définir le mot de passe d'un autre administrateur, ni "
        "créer une clé agissant en son nom : chaque administrateur le fait pour lui-même.",
        "Un administrateur ne peut pas agir au nom d'un autre administrateur.",
    ),
    "invalid-norm-workbook": (
        "Classeur de norme illisible",
        "Le classeur fourni n'est pas un cahier technique DSN lisible (fichier .xlsx avec les "
        "feuilles Standard, Data Types, Rubriques, Contrôles) : vérifiez le fichier publié par "
        "net-entreprises.",
        "Le classeur fourni n'est pas un cahier technique DSN lisible.",
    ),
    "decompression-limit-exceeded": (
        "Contenu décompressé trop volumineux",
        "La réponse décompressée dépasse la limite de {limit} octets : elle n'est pas lue.",
        "La réponse décompressée dépasse la limite autorisée : elle n'est pas lue.",
    ),
    # intake
    "unsupported-upload": (
        "Format d'envoi non accepté",
        "Envoyez le fichier DSN brut (Content-Type application/octet-stream ou text/plain), "
        "non compressé ou compressé en gzip.",
        "Envoyez le fichier DSN brut, non compressé ou compressé en gzip.",
    ),
    "empty-upload": (
        "Fichier vide",
        "Le corps de la requête est vide : envoyez le fichier DSN lui-même.",
        "Le corps de la requête est vide : envoyez le fichier DSN lui-même.",
    ),
    "unreadable-input": (
        "Fichier illisible",
        "Le fichier reçu ne peut pas être lu (gzip invalide ou tronqué, encodage inconnu) : "
        "vérifiez le fichier et renvoyez-le.",
        "Le fichier reçu ne peut pas être lu : vérifiez-le et renvoyez-le.",
    ),
    "upload-too-large": (
        "Fichier trop volumineux",
        "Le fichier dépasse la taille maximale acceptée de {max_bytes} octets (comptée après "
        "décompression).",
        "Le fichier dépasse la taille maximale acceptée.",
    ),
    "body-too-large": (
        "Requête trop volumineuse",
        "Le corps de la requête dépasse {max_bytes} octets.",
        "Le corps de la requête est trop volumineux.",
    ),
    "duplicate-declaration": (
        "Déclaration déjà reçue",
        "Ce fichier a déjà été reçu (déclaration {declaration_id}), au retour à la ligne ou à "
        "la compression près : il n'est pas enregistré une seconde fois.",
        "Ce fichier a déjà été reçu : il n'est pas enregistré une seconde fois.",
    ),
    "declaration-already-filed": (
        "Déclaration déjà déposée pour ce mois",
        "La déclaration {declaration_id} ({current_status}) déclare déjà le mois {month} "
        "(nature {nature}) pour le SIRET {siret} : pour la remplacer, envoyez une déclaration "
        "« annule et remplace » (type 03 ou 05).",
        "Une déclaration normale de ce mois est déjà déposée pour cet établissement : envoyez "
        "une déclaration « annule et remplace » (type 03 ou 05) pour la remplacer.",
    ),
    "replaced-declaration-unknown": (
        "Déclaration remplacée introuvable",
        "Aucune déclaration de ce compte pour le SIRET {siret} ne porte l'identifiant "
        "{replaced_id} (S20.G00.05.006) : une « annule et remplace » ou une annulation doit "
        "désigner une déclaration déposée par ce compte (date S20.G00.05.007 suivie du numéro "
        "d'ordre S20.G00.05.004).",
        "Une « annule et remplace » ou une annulation doit désigner une déclaration déposée "
        "par ce compte (S20.G00.05.006).",
    ),
    "replacement-too-late": (
        "Délai de l'« annule et remplace » dépassé",
        "L'« annule et remplace » du mois {month} devait arriver avant le {limit} (minuit la "
        "veille de l'échéance), même avec accept_late : reportez la correction sur la "
        "déclaration d'un mois suivant.",
        "Le délai de l'« annule et remplace » est dépassé, même avec accept_late : reportez la "
        "correction sur la déclaration d'un mois suivant.",
    ),
    "cutoff-passed": (
        "Heure limite de dépôt garanti dépassée",
        "L'heure limite de dépôt garanti ({cutoff}) est passée ; l'échéance légale est le "
        "{deadline}. Renvoyez le fichier avec accept_late=true pour qu'il soit transmis sans "
        "garantie.",
        "L'heure limite de dépôt garanti est passée. Renvoyez le fichier avec accept_late=true "
        "pour qu'il soit transmis sans garantie.",
    ),
    "quota-exceeded": (
        "Quota de bulletins dépassé",
        "L'entreprise {siren} dépasserait {limit} bulletins en {year} ({used} déjà déclarés, "
        "{requested} dans ce fichier) : demandez à l'opérateur de relever la limite du compte.",
        "Le quota de bulletins de l'offre serait dépassé : demandez à l'opérateur de relever "
        "la limite du compte.",
    ),
    "limit-exceeded": (
        "Limite du compte atteinte",
        "La limite « {limit} » du compte est de {value} : cette opération en ferait "
        "{requested}. L'opérateur peut la relever (dsnlink tenant set-limit).",
        "Une limite du compte serait dépassée ; l'opérateur peut la relever.",
    ),
    "establishment-not-registered": (
        "Établissement non enregistré",
        "{missing_text}",
        "Le SIREN ou le SIRET du fichier n'est pas enregistré pour ce compte.",
    ),
    "invalid-siren": (
        "SIREN invalide",
        "Le SIREN {siren} est invalide : sa clé de contrôle est fausse (vérifiez la saisie "
        "dans le logiciel de paie).",
        "Le SIREN est invalide : sa clé de contrôle est fausse.",
    ),
    "invalid-siret": (
        "SIRET invalide",
        "Le SIRET {siret} est invalide : sa clé de contrôle est fausse (vérifiez le NIC saisi "
        "dans le logiciel de paie).",
        "Le SIRET est invalide : sa clé de contrôle est fausse.",
    ),
    "unidentifiable-declaration": (
        "Déclaration non identifiable",
        "Aucune déclaration du fichier n'a de nature, type, mois, SIREN et NIC lisibles : il "
        "ne peut être rattaché à aucune entreprise.",
        "Le fichier ne peut être rattaché à aucune entreprise.",
    ),
    "declaration-rejected": (
        "Déclaration rejetée par les contrôles de la norme",
        "La déclaration {declaration_id} a été rejetée par les contrôles de la norme : elle "
        "ne peut pas être transmise. Corrigez le fichier et renvoyez-le.",
        "La déclaration a été rejetée par les contrôles de la norme : elle ne peut pas être "
        "transmise.",
    ),
    "idempotency-key-reused": (
        "Clé d'idempotence déjà utilisée",
        "La clé Idempotency-Key « {idempotency_key} » a déjà servi pour une autre requête "
        "dans les dernières 24 heures : utilisez une nouvelle clé pour une nouvelle requête.",
        "Cette clé Idempotency-Key a déjà servi pour une autre requête : utilisez-en une nouvelle.",
    ),
    "unknown-filter": (
        "Paramètre inconnu",
        "Paramètre(s) inconnu(s) : {unknown_text}. Paramètres acceptés : {known_text}.",
        "Un paramètre de la requête (filtre ou curseur) n'est pas reconnu.",
    ),
    # the transmission order and the lifecycle
    "already-ordered": (
        "Transmission déjà ordonnée",
        "La transmission de la déclaration {declaration_id} a déjà été ordonnée.",
        "La transmission de cette déclaration a déjà été ordonnée.",
    ),
    "not-transmittable": (
        "Transmission impossible",
        "La déclaration {declaration_id} est au statut « {current_status} » : sa transmission "
        "ne peut pas être ordonnée.",
        "Le statut de cette déclaration ne permet pas d'en ordonner la transmission.",
    ),
    "not-cancellable": (
        "Suppression impossible",
        "La déclaration {declaration_id} est au statut « {current_status} » : seule une "
        "déclaration validée dont la transmission n'a jamais été ordonnée peut être supprimée.",
        "Seule une déclaration validée dont la transmission n'a jamais été ordonnée peut être "
        "supprimée.",
    ),
    "not-deposited": (
        "Pas encore déposée",
        "La déclaration {declaration_id} est au statut « {current_status} » : le point de "
        "dépôt ne la détient pas encore, il n'y a donc pas d'accusé de dépôt.",
        "Le point de dépôt ne détient pas encore cette déclaration.",
    ),
    "illegal-transition": (
        "Changement de statut impossible",
        "Une déclaration au statut « {current_status} » ne peut pas passer au statut "
        "« {requested_status} ».",
        "Ce changement de statut n'est pas permis.",
    ),
    "tenant-not-activated": (
        "Compte non activé",
        "Le compte n'est pas encore activé : générez d'abord une clé d'API.",
        "Le compte n'est pas encore activé.",
    ),
    # access
    "unauthenticated": (
        "Authentification requise",
        "Envoyez une clé d'API valide : Authorization: Bearer <clé>.",
        "Envoyez une clé d'API valide : Authorization: Bearer <clé>.",
    ),
    "administrator-required": (
        "Réservé aux administrateurs",
        "Seuls les administrateurs du compte peuvent faire cela.",
        "Seuls les administrateurs du compte peuvent faire cela.",
    ),
    "scope-required": (
        "Droit de la clé insuffisant",
        "Cette clé d'API n'a pas le droit « {required_scope} » (droits : {scopes_text}).",
        "Cette clé d'API n'a pas le droit nécessaire.",
    ),
    "api-key-revoked": (
        "Clé d'API révoquée",
        "Cette clé d'API a été révoquée.",
        "Cette clé d'API a été révoquée.",
    ),
    "last-admin-key": (
        "Dernière clé d'administration",
        "La clé d'API {api_key_id} est la dernière clé d'administration du compte : créez "
        "d'abord une autre clé avec le droit « admin », puis révoquez celle-ci.",
        "C'est la dernière clé d'administration du compte : créez-en une autre d'abord.",
    ),
    "already-exists": (
        "Existe déjà",
        "Cet élément existe déjà pour ce compte.",
        "Cet élément existe déjà pour ce compte.",
    ),
    # webhooks
    "invalid-webhook": (
        "Webhook refusé",
        "L'URL {url} ne peut pas recevoir de webhook ({reason_text}).",
        "Ce webhook ne peut pas être enregistré (URL https publique, au plus 10 webhooks).",
    ),
    "webhook-not-found": (
        "Webhook introuvable",
        "Aucun webhook {webhook_id} pour ce compte.",
        "Ce webhook n'existe pas pour ce compte.",
    ),
    "weak-password": (
        "Mot de passe refusé",
        "Le mot de passe est trop court ou trop long (12 caractères au moins).",
        "Le mot de passe est trop court ou trop long.",
    ),
    "too-many-sign-in-attempts": (
        "Trop de tentatives de connexion",
        "Trop de tentatives de connexion : réessayez dans {retry_after} s.",
        "Trop de tentatives de connexion : réessayez dans un moment.",
    ),
    "company-scope-for-administrator": (
        "Périmètre réservé aux utilisateurs",
        "Les administrateurs voient toutes les entreprises : seuls les utilisateurs de rôle "
        "« user » peuvent être limités à certaines entreprises.",
        "Seuls les utilisateurs de rôle « user » peuvent être limités à certaines entreprises.",
    ),
    "external-administrator-exists": (
        "Administrateur externe déjà désigné",
        "Un compte a au plus un administrateur externe.",
        "Un compte a au plus un administrateur externe.",
    ),
    "last-administrator": (
        "Dernier administrateur",
        "Le dernier administrateur du compte ne peut pas être retiré : nommez-en un autre d'abord.",
        "Le compte doit garder au moins un administrateur.",
    ),
    "maintenance-refused": (
        "Maintenance refusée",
        "Cette maintenance ne respecte pas les règles du contrat de service (durée, préavis, "
        "fenêtre).",
        "Cette maintenance ne respecte pas les règles du contrat de service.",
    ),
    "unknown-offering": (
        "Offre inconnue",
        "L'offre « {offering_id} » n'existe pas.",
        "Cette offre n'existe pas.",
    ),
    "unknown-formula": (
        "Formule inconnue",
        "L'offre {offering_id} n'a pas de formule de support « {formula} ».",
        "Cette formule de support n'existe pas pour l'offre.",
    ),
    "unknown-criticity": (
        "Criticité inconnue",
        "La criticité « {criticity} » n'existe pas pour l'offre {offering_id}.",
        "Cette criticité n'existe pas pour l'offre.",
    ),
    "invalid-sample-parameter": (
        "Paramètre d'exemple invalide",
        "Le paramètre « {parameter} » de l'exemple n'est pas accepté (années de norme prises "
        "en charge : 2024 à 2026).",
        "Un paramètre de l'exemple n'est pas accepté.",
    ),
    "invalid-credentials": (
        "Identifiants du déclarant invalides",
        "Le champ « {field} » des identifiants net-entreprises du déclarant est vide ou de "
        "mauvaise longueur.",
        "Les identifiants net-entreprises du déclarant sont incomplets.",
    ),
    "invalid-input": (
        "Saisie refusée",
        "La valeur de « {field} » n'est pas acceptée.",
        "Une valeur de la requête n'est pas acceptée.",
    ),
    "validation-failed": (
        "Contrôle refusé",
        "Le contenu envoyé ne passe pas les contrôles.",
        "Le contenu envoyé ne passe pas les contrôles.",
    ),
    "forbidden": (
        "Accès refusé",
        "Vous n'avez pas le droit de faire cela.",
        "Vous n'avez pas le droit de faire cela.",
    ),
    "conflict": (
        "Conflit",
        "La requête contredit ce qui est déjà enregistré.",
        "La requête contredit ce qui est déjà enregistré.",
    ),
    "deadline": (
        "Délai dépassé",
        "Un délai de dépôt est dépassé pour cette déclaration.",
        "Un délai de dépôt est dépassé pour cette déclaration.",
    ),
    "search-window-too-wide": (
        "Période de recherche trop large",
        "La période de recherche demandée au point de dépôt est trop large : réduisez-la.",
        "La période de recherche demandée au point de dépôt est trop large : réduisez-la.",
    ),
    "unreadable-return": (
        "Retour illisible",
        "Le retour du point de dépôt ne peut pas être lu.",
        "Le retour du point de dépôt ne peut pas être lu.",
    ),
    "operator-disabled": (
        "Accès opérateur désactivé",
        "Les points d'accès de l'opérateur sont désactivés sur cette passerelle.",
        "Les points d'accès de l'opérateur sont désactivés sur cette passerelle.",
    ),
    # the service
    "maintenance": (
        "Service en maintenance",
        "Le service est en maintenance jusqu'au {maintenance_end} : réessayez ensuite (rien "
        "de ce qui est déjà en file n'est perdu).",
        "Le service est en maintenance : réessayez plus tard.",
    ),
    "public-placeholder-secrets": (
        "Passerelle non sécurisée",
        "Cette passerelle tourne avec les secrets publics de développement "
        "(DSNLINK_ENVIRONMENT non défini) : elle ne répond que sur l'adresse locale. "
        "Définissez DSNLINK_SECRET_KEY et DSNLINK_OPERATOR_TOKEN, ou DSNLINK_ENVIRONMENT.",
        "Cette passerelle ne répond que sur l'adresse locale.",
    ),
    "rate-limited": (
        "Trop de requêtes",
        "Plus de {limit_per_minute} requêtes par minute pour cette clé d'API : réessayez "
        "après le délai indiqué par Retry-After.",
        "Trop de requêtes : réessayez après le délai indiqué par Retry-After.",
    ),
    "unavailable": (
        "Service momentanément indisponible",
        "Le service est momentanément indisponible : réessayez dans quelques instants.",
        "Le service est momentanément indisponible : réessayez dans quelques instants.",
    ),
    "invalid-request": (
        "Requête invalide",
        "La requête ne correspond pas à ce que ce point d'accès attend : {fields_text}.",
        "La requête ne correspond pas à ce que ce point d'accès attend.",
    ),
    "invalid-query": (
        "Paramètres de requête invalides",
        "Les paramètres de requête contiennent des caractères de contrôle ou de l'Unicode "
        "invalide : {parameters_text}.",
        "Les paramètres de requête contiennent des caractères de contrôle ou de l'Unicode "
        "invalide.",
    ),
    "not-found": (
        "Introuvable",
        "{path_text}",
        "Cette ressource n'existe pas (ou appartient à un autre compte).",
    ),
    "method-not-allowed": (
        "Méthode non permise",
        "Cette méthode HTTP n'est pas permise sur cette adresse.",
        "Cette méthode HTTP n'est pas permise sur cette adresse.",
    ),
    "concurrent-change": (
        "Modification concurrente",
        "Une autre requête a modifié ou supprimé la même chose au même moment : relisez "
        "l'état avant de réessayer.",
        "Une autre requête a modifié ou supprimé la même chose au même moment.",
    ),
    "internal-error": (
        "Erreur interne",
        "Une erreur inattendue s'est produite ; elle a été journalisée.",
        "Une erreur inattendue s'est produite ; elle a été journalisée.",
    ),
    "dev-clock-refused": (
        "Horloge réservée au développement",
        "L'horloge de la passerelle ne peut être réglée qu'en développement ou démonstration.",
        "L'horloge de la passerelle ne peut être réglée qu'en développement ou démonstration.",
    ),
}

# When a code has no entry: a French sentence per HTTP status.
BY_STATUS: dict[int, tuple[str, str]] = {
    400: ("Requête illisible", "La requête ne peut pas être lue."),
    401: ("Authentification requise", "Envoyez une clé d'API valide."),
    403: ("Accès refusé", "Vous n'avez pas le droit de faire cela."),
    404: ("Introuvable", "Cette ressource n'existe pas (ou appartient à un autre compte)."),
    409: ("Conflit", "La requête contredit ce qui est déjà enregistré."),
    413: ("Requête trop volumineuse", "Le corps de la requête est trop volumineux."),
    415: ("Format non accepté", "Le format de la requête n'est pas accepté."),
    422: ("Requête refusée", "La requête ne peut pas être acceptée telle quelle."),
    429: ("Trop de requêtes", "Réessayez après le délai indiqué par Retry-After."),
    500: ("Erreur interne", "Une erreur inattendue s'est produite ; elle a été journalisée."),
    503: ("Service indisponible", "Le service est momentanément indisponible."),
}

WEBHOOK_REASONS = {
    "scheme": "il faut une URL http(s) absolue",
    "credentials": "l'URL ne doit pas contenir d'identifiants",
    "https-required": "il faut une URL https",
    "private-host": "il faut un hôte public",
    "too-many": "au plus 10 webhooks par compte",
}


def paris(moment: datetime) -> str:
    """A moment as a French reader expects it: Paris time, with its offset."""
    local = moment.astimezone(PARIS)
    offset = local.strftime("%z")
    return f"{local:%d/%m/%Y à %H:%M} (heure de Paris, UTC{offset[:3]}:{offset[3:]})"


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return paris(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return paris(parsed) if parsed.tzinfo is not None and "T" in value else value
    return value


def _derived(code: str, context: Mapping[str, Any]) -> dict[str, Any]:
    """Context values a template needs in words (lists, reasons, what is missing)."""
    extra: dict[str, Any] = {}
    if isinstance(context.get("unknown"), list):
        extra["unknown_text"] = ", ".join(context["unknown"])
    if isinstance(context.get("known"), list):
        extra["known_text"] = ", ".join(context["known"])
    if isinstance(context.get("scopes"), list):
        extra["scopes_text"] = ", ".join(context["scopes"]) or "aucun"
    if isinstance(context.get("parameters"), list):
        extra["parameters_text"] = ", ".join(repr(p) for p in context["parameters"])
    if "reason" in context:
        extra["reason_text"] = WEBHOOK_REASONS.get(str(context["reason"]), str(context["reason"]))
    if isinstance(context.get("errors"), list):
        fields = [
            ".".join(str(part) for part in e.get("loc", [])[1:]) or "corps"
            for e in context["errors"]
            if isinstance(e, dict)
        ]
        if fields:
            extra["fields_text"] = "vérifiez " + ", ".join(f"« {f} »" for f in fields)
    if "path" in context:
        extra["path_text"] = f"Rien à l'adresse {context['path']}."
    if code == "establishment-not-registered":
        missing = context.get("missing")
        if missing == "company":
            extra["missing_text"] = (
                f"Le SIREN {context.get('siren')} du fichier n'est pas une entreprise de ce "
                "compte : enregistrez l'entreprise et ses établissements (POST /v1/companies, ou "
                "page Entreprises du tableau de bord), puis renvoyez le fichier."
            )
        elif missing == "establishment" and context.get("company_id"):
            extra["missing_text"] = (
                f"Le SIRET {context.get('siret')} n'est pas un établissement enregistré de "
                f"l'entreprise {context.get('siren')} : ajoutez l'établissement de NIC "
                f"{context.get('nic')} (PATCH /v1/companies/{context['company_id']} avec "
                '"establishments": [{"nic": "' + str(context.get("nic")) + '", "name": "…"}]), '
                "puis renvoyez le fichier."
            )
        elif missing == "scope":
            extra["missing_text"] = (
                f"Le SIREN {context.get('siren')} ne fait pas partie des entreprises pour "
                "lesquelles cet utilisateur peut déclarer."
            )
    return extra


class _Strict(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise KeyError(key)


def _fill(template: str, values: Mapping[str, Any]) -> str | None:
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if any(values.get(name) in (None, "") for name in names):
        return None
    return template.format_map(_Strict(values))


def wants_english(accept_language: str | None) -> bool:
    """English only when the client prefers it to French (`Accept-Language: en`)."""
    if not accept_language:
        return False
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(ranked):
        if tag.startswith("fr") or tag == "*":
            return False
        if tag.startswith("en"):
            return True
    return False


def texts(
    code: str, status: int, english_detail: str, context: Mapping[str, Any], *, english: bool
) -> tuple[str, str]:
    """The title and detail of a problem for its reader."""
    if english:
        return code.replace("-", " ").capitalize(), english_detail
    generic_title, generic_detail = BY_STATUS.get(status, BY_STATUS[500 if status >= 500 else 422])
    if code in FRENCH_DOMAIN_MESSAGES:
        return FRENCH_DOMAIN_MESSAGES[code], english_detail
    entry = TEXTS.get(code)
    if entry is None:
        return generic_title, generic_detail
    title, template, plain = entry
    values = {k: _value(v) for k, v in context.items()} | _derived(code, context)
    return title, _fill(template, values) or plain
