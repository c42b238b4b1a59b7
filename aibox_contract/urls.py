"""URL rules between box and platform (upstream §9, CONTRACT.md §6a), written once for both.

- An absolute URL (http[s]://) stands; a relative one joins the login URL's scheme and host
  (`resolve`), or, for a photo, the plain `imgServerAddr` base (`join_base`).
- The box appends its dev_sno and current token to every platform URL (`with_auth`); the
  platform hands out URLs that already carry them (`auth_query`) and reads a query that a
  stock box may have appended with a second `?` (`box_query`).
"""
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


def root_of(url: str) -> str:
    """scheme://host[:port] of `url`, without path or query (also the platform's imgServerAddr)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def resolve(url: str, base: str) -> str:
    """Upstream §9: absolute URLs stand; relative ones ("/x") join the scheme and host of `base`."""
    if url.startswith(("http://", "https://")):
        return url
    return root_of(base) + ("" if url.startswith("/") else "/") + url


def join_base(relative: str, base: str) -> str:
    """A relative_pic_url on imgServerAddr (CONTRACT.md §6a): a plain base whose path prefix
    is kept (`http://h/imgsrv` + `/a.jpg` = `http://h/imgsrv/a.jpg`); the relative URL keeps
    its own query, and a query on the base (older platforms put one there) follows it."""
    if relative.startswith(("http://", "https://")):
        return relative
    parts = urlsplit(base)
    path, _, query = relative.partition("?")
    joined = parts.path.rstrip("/") + "/" + path.lstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, joined, "&".join(q for q in (query, parts.query) if q), ""))


def auth_query(dev_sno: str, token: str) -> str:
    """The query that authenticates a box's call: `dev_sno=..&token=..`."""
    return urlencode({"dev_sno": dev_sno, "token": token})


def with_auth(url: str, dev_sno: str, token: str) -> str:
    """Append dev_sno and token to a platform URL that lacks them (upstream §6.1, CONTRACT.md
    §6a). Appended, never re-encoded: the URL's own query (a signed photo URL) stays byte for byte."""
    parts = urlsplit(url)
    present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    if "token" in present:
        return url
    added = urlencode({"token": token}) if "dev_sno" in present else auth_query(dev_sno, token)
    return urlunsplit(parts._replace(query="&".join(q for q in (parts.query, added) if q)))


def box_query(raw: str) -> dict[str, str]:
    """A query string as a stock box builds it. Upstream has the box append
    `?&dev_sno=..&token=..` to a URL that may already carry a query, so a second `?`
    separates parameters here; a repeated name keeps its last value (the box's own)."""
    return dict(parse_qsl(raw.replace("?", "&"), keep_blank_values=True))
