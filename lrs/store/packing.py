"""Statement bodies as kept on disk by the SQLite backend: deflated with a preset dictionary of
xAPI's own vocabulary (issue 16: a statement cost ~2.6 KB on disk, ~1.6 KB of it its JSON).

A kept body is either the JSON itself (bodies written before this format; JSON objects start
with `{`) or FORMAT_1 followed by a raw deflate stream (RFC 1951) made with DICTIONARY_1, which
must never change: a new dictionary would get a new format byte.

Compressing costs tens of microseconds per statement, too much for the write lock every writer
queues on: `Packer` deflates the body as prepared before the lock (everything but its closing
`}`), and only the few bytes the store adds under the lock (`stored`, maybe `timestamp`) are fed
to it there.
"""
import zlib

FORMAT_1 = b"\x01"
_WBITS = 12                  # 4 KiB window: the dictionary and a statement fit; ~40 KiB per Packer
_MEM_LEVEL = 6
_LEVEL = 6
# Keys and values most xAPI statements repeat, the most frequent last (deflate finds the
# nearest match cheapest). Part of the on-disk format: never edit it.
DICTIONARY_1 = (
    b'{"objectType":"SubStatement","attachments":[{"usageType":"","contentType":"","length":0,"sha2":"",'
    b'"fileUrl":""}],"choices":[{"id":"","description":{"en-US":""}}],"scale":[{"id":""}],'
    b'"source":[{"id":""}],"target":[{"id":""}],"steps":[{"id":""}],"interactionType":"choice",'
    b'"true-false","fill-in","numeric","likert","matching","sequencing","other",'
    b'"correctResponsesPattern":[""],"moreInfo":"","member":[{"objectType":"Agent","mbox":"mailto:"}],'
    b'"openid":"","mbox_sha1sum":"","objectType":"Group","revision":"","statement":{"objectType":'
    b'"StatementRef","id":""},"instructor":{"objectType":"Agent","name":"","mbox":"mailto:"},'
    b'"team":{"objectType":"Group"},"category":[{"id":"","definition":{"type":'
    b'"http://adlnet.gov/expapi/activities/profile"}}],"grouping":[{"id":"","objectType":"Activity"}],'
    b'"parent":[{"id":"","objectType":"Activity","definition":{"type":'
    b'"http://adlnet.gov/expapi/activities/course"}}],"contextActivities":{"parent":[{"id":""}]},'
    b'"registration":"","platform":"","language":"en-US","extensions":{"http://":""},'
    b'"result":{"score":{"scaled":0.,"raw":0,"min":0,"max":100},"success":true,"completion":true,'
    b'"response":"","duration":"PT0M0S","extensions":{}},"success":false,'
    b'"object":{"objectType":"Activity","id":"https://","definition":{"name":{"en-US":""},'
    b'"description":{"en-US":""},"type":"http://adlnet.gov/expapi/activities/","extensions":{}}},'
    b'"verb":{"id":"http://adlnet.gov/expapi/verbs/","display":{"en-US":""}},'
    b'"actor":{"objectType":"Agent","name":"","mbox":"mailto:","account":{"homePage":"https://",'
    b'"name":""}},"authority":{"objectType":"Agent","account":{"homePage":"","name":""}},'
    b'"context":{"registration":"","contextActivities":{"parent":[{"id":"","objectType":"Activity"}]}},'
    b'"version":"1.0.3","timestamp":"2026-01-01T00:00:00.000Z","stored":"2026-01-01T00:00:00.000Z",'
    b'"id":"'
)


class Packer:
    """The deflated form of one body whose beginning is known before the write lock."""

    __slots__ = ("_head", "_compressor", "_out")

    def __init__(self, head):
        """head: the body as prepared (bytes of a JSON object); all but its closing `}` is
        deflated now."""
        self._head = head[:-1]
        self._compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -_WBITS, _MEM_LEVEL,
                                            zlib.Z_DEFAULT_STRATEGY, DICTIONARY_1)
        self._out = self._compressor.compress(self._head)

    def finish(self, body):
        """The kept form of `body`, the final JSON: the prepared head plus what the store added."""
        if self._compressor is None or not body.startswith(self._head):
            return pack(body)                         # once only, or a body not made from the head
        compressor, self._compressor = self._compressor, None
        return FORMAT_1 + self._out + compressor.compress(body[len(self._head):]) + compressor.flush()


def pack(body):
    """The kept form of the JSON bytes `body`."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -_WBITS, _MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY,
                                  DICTIONARY_1)
    return FORMAT_1 + compressor.compress(body) + compressor.flush()


def unpack(kept):
    """The JSON bytes of a kept body (either format); ValueError if it does not read back."""
    kept = bytes(kept)
    if kept[:1] == FORMAT_1:
        decompressor = zlib.decompressobj(-_WBITS, DICTIONARY_1)
        try:
            body = decompressor.decompress(kept[1:])
        except zlib.error as error:
            raise ValueError("a kept statement body does not inflate (%s)" % error) from error
        if not decompressor.eof:
            raise ValueError("a kept statement body is cut short")
        return body
    return kept                                       # JSON as written before FORMAT_1
