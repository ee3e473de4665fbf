"""The cahier technique's consistency controls (CCH, SIG, CSL) as data plus small predicates.

A control is keyed by its official id (`S21.G00.40.001/CCH-15`) and written with the templates
of `templates` (`required`, `date_cmp`, `not_after_month_end`…), read from the rule's text in the
catalogue. It is checked when the block of its rubric closes, on the declaration tree
(`dsnlink.norm.tree`): the block's own rubrics, its open ancestors (individual, declaration) and
its closed children. A control listed in a theme module runs for every norm version whose
catalogue holds its id, so a new norm year reuses every rule whose id it keeps; ids it drops are
simply not run.

Some controls are derived from the catalogue itself rather than listed: the "datation" rules
whose message is the norm's standard one (date ≤ last day of the main declared month, date ≤
date the file was built), and the address rules (postal code vs country, locality required),
recognised by their text and the labels of the block's rubrics (`derived`).

`templates` and `predicates` are the vocabulary, `lookups` what the payment controls share,
`scans` the controls over a block's subtree, one module per theme holds the table of listed
controls (`declaration`, `versements`, `individual`, `contract`, `changes`, `remuneration`,
`regularisations`, `signalements`, `contributions`, `s89`) and may hold its own scans, the ids it
cannot check offline with the reason (`NOT_CHECKED`, read by the coverage report) and the norm
versions whose text of an id differs (`NOT_IN`); `registry` compiles the rules run for a
catalogue.
"""
