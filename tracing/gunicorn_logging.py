"""gunicorn's logger with the request's address masked (tracing.log_masking): the
access log shows the path with every token masked and no query string, and the
Referer only as its path, masked likewise; the error log ("Error handling request
<uri>") is masked too.

Named by the production command (Dockerfile, docker-compose.yml):
`gunicorn ... --access-logfile - --logger-class tracing.gunicorn_logging.MaskedLogger`.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from .log_masking import MaskRequestPaths, mask_path, mask_text, mask_url

_ERROR_MASK = MaskRequestPaths()


class MaskedLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        # A filter on the logger itself, so every handler gunicorn gives it (a file,
        # syslog, a logconfig) sees the masked record; added once however many
        # times a reload sets the logger up again.
        self.error_log.addFilter(_ERROR_MASK)

    def atoms(
        self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
    ) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        # Every header and environ atom (%({referer}i)s, %({raw_uri}e)s, a redirect's
        # %({location}o)s...), so no access_log_format can bring the address back.
        for key, value in atoms.items():
            if key.endswith(("}i", "}e", "}o")) and isinstance(value, str):
                atoms[key] = mask_text(value)
        referer = mask_url(environ.get("HTTP_REFERER", "-"))
        atoms.update(
            {
                "r": "{} {} {}".format(
                    environ["REQUEST_METHOD"],
                    mask_path(environ.get("RAW_URI", "")),
                    environ["SERVER_PROTOCOL"],
                ),
                "U": mask_path(environ.get("PATH_INFO", "")),
                "q": "",
                "f": referer,
                "{referer}i": referer,
                "{http_referer}e": referer,
                "{query_string}e": "",
            }
        )
        return atoms
