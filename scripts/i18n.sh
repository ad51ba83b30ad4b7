#!/usr/bin/env bash
# Refresh the French catalogue from the code and compile it (needs GNU gettext).
set -euo pipefail
cd "$(dirname "$0")/../src/puncta"
../../.venv/bin/puncta makemessages -l fr --no-location --no-obsolete --ignore 'rules/*' >/dev/null
../../.venv/bin/python - <<'PY'
import polib
po = polib.pofile("locale/fr/LC_MESSAGES/django.po")
todo = [e.msgid for e in po if not (e.msgstr or any(e.msgstr_plural.values()))] 
todo += [e.msgid for e in po.fuzzy_entries()]
print("untranslated or fuzzy:", todo if todo else "none")
PY
../../.venv/bin/puncta compilemessages >/dev/null
