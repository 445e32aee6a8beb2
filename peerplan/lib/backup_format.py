"""The serialization format `manage.py backup` writes: Django's JSON, but with every date-time and time to the
microsecond. Django's own JSON encoder cuts them to milliseconds (ECMA-262's format, for JavaScript), so a plain
`dumpdata` file gives back slightly different times, and a time 1 to 999 microseconds past a whole millisecond
(about one in a thousand) comes back as another text altogether ("12:00:00.000Z" is written, "12:00:00Z" is read
back). A backup gives back exactly what it was given. The file is ordinary JSON that Django's `json` format
(`loaddata`, `restore`) reads unchanged: only the time texts are longer."""

import datetime

from django.core.serializers import json
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.timezone import is_aware

FORMAT = "peerplan-backup-json"


class Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time) and not is_aware(o):
            return o.isoformat()
        return super().default(o)


class Serializer(json.Serializer):
    def _init_options(self):
        super()._init_options()
        self.json_kwargs["cls"] = Encoder


Deserializer = json.Deserializer
