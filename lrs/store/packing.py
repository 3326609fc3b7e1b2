"""Statement bodies as kept on disk by the SQLite backend, compressed with a preset dictionary of
xAPI's own vocabulary (issue 16: a statement cost ~2.6 KB on disk, ~1.6 KB of it its JSON).

A kept body is one of:

* the JSON itself (bodies written before any format; JSON objects start with `{`);
* FORMAT_1 followed by a raw deflate stream (RFC 1951) made with DICTIONARY_1 (written until
  zstd replaced it: still read);
* FORMAT_2 followed by a Zstandard frame of the body's head made with DICTIONARY_1 as its raw
  content dictionary, then the body's tail as plain bytes, then one byte: the tail's length.

The dictionary must never change: a new one would get a new format byte.

Why FORMAT_2 (issue 16, profile of batch ingest): deflate cost ~38 us per statement and ~40% of
it ran under the write lock every writer queues on (zlib's compress() buffers a small input, so
the work happens at flush, after the store has added `stored`), and inflating cost ~8 us on
every read. Zstandard with the same dictionary compresses in ~20 us and decompresses in ~4 us,
at ~20 bytes more per statement. The head (everything but the closing `}`) is known before the
lock and compressed there, in full; the few bytes the store adds under the lock (`stored`, maybe
`timestamp`) are kept as they are after the frame, so nothing is compressed under the lock.
"""
import threading
import zlib

import zstandard

FORMAT_1 = b"\x01"
_WBITS, _MEM_LEVEL, _LEVEL = 12, 6, 6          # FORMAT_1: a 4 KiB window holds the dictionary and a statement
# Keys and values most xAPI statements repeat, the most frequent last (the compressor finds the
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


# level 5: ~442 bytes for a 1.47 KB statement in ~20 us (level 1: ~490 in ~12 us, level 9: the
# same 441 in ~30 us); the compression runs before the write lock
_ZSTD_LEVEL = 5
FORMAT_2 = b"\x02"
_TAIL_MAX = 255              # the tail's length is one byte; `stored` and `timestamp` need ~75


class _Codecs(threading.local):
    """Zstandard contexts are not thread-safe: one compressor and decompressor per thread."""

    def __init__(self):
        dictionary = zstandard.ZstdCompressionDict(DICTIONARY_1, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        dictionary.precompute_compress(level=_ZSTD_LEVEL)
        self.compressor = zstandard.ZstdCompressor(dict_data=dictionary, write_content_size=True,
                                                   write_checksum=False, write_dict_id=False)
        self.decompressor = zstandard.ZstdDecompressor(dict_data=dictionary)


_codecs = _Codecs()


class Packer:
    """The kept form of one body whose beginning is known before the write lock."""

    __slots__ = ("_head", "_frame")

    def __init__(self, head, frame=None):
        """head: the body as prepared (bytes of a JSON object); all but its closing `}` is
        compressed now, unless `frame` is that compression already (see packers)."""
        self._head = head[:-1]
        self._frame = frame if frame is not None else FORMAT_2 + _codecs.compressor.compress(self._head)

    def finish(self, body):
        """The kept form of `body`, the final JSON: the prepared head plus what the store added."""
        tail = body[len(self._head):]
        if len(tail) > _TAIL_MAX or not body.startswith(self._head):
            return pack(body)                         # a body not made from the head
        return self._frame + tail + bytes((len(tail),))


def packers(heads):
    """A Packer for each of `heads`, all compressed in one call: the same frames as one by one, but
    python-zstandard releases the GIL once for the batch instead of once per body, and each
    release is a switch of threads while other request threads of the worker wait for the GIL
    (issue 16, bench/contention.py)."""
    if len(heads) < 2:
        return [Packer(head) for head in heads]
    frames = _codecs.compressor.multi_compress_to_buffer([head[:-1] for head in heads], threads=0)
    return [Packer(head, FORMAT_2 + frames[number].tobytes()) for number, head in enumerate(heads)]


def pack(body):
    """The kept form of the JSON bytes `body`."""
    return FORMAT_2 + _codecs.compressor.compress(body) + b"\x00"


def unpack(kept):
    """The JSON bytes of a kept body (any format); ValueError if it does not read back."""
    kept = bytes(kept)
    marker = kept[:1]
    if marker == FORMAT_2:
        cut = len(kept) - 1 - kept[-1]
        if cut < 1:
            raise ValueError("a kept statement body is cut short")
        try:
            head = _codecs.decompressor.decompress(kept[1:cut])
        except zstandard.ZstdError as error:
            raise ValueError("a kept statement body does not decompress (%s)" % error) from error
        body = head + kept[cut:-1]
        if not body.endswith(b"}"):                   # a tail cut short (it has no inner `}`)
            raise ValueError("a kept statement body is cut short")
        return body
    if marker == FORMAT_1:
        decompressor = zlib.decompressobj(-_WBITS, DICTIONARY_1)
        try:
            body = decompressor.decompress(kept[1:])
        except zlib.error as error:
            raise ValueError("a kept statement body does not inflate (%s)" % error) from error
        if not decompressor.eof:
            raise ValueError("a kept statement body is cut short")
        return body
    return kept                                       # JSON as written before FORMAT_1


def deflate(body):
    """FORMAT_1's kept form of `body` (bodies written before FORMAT_2; tests read them back)."""
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -_WBITS, _MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY,
                                  DICTIONARY_1)
    return FORMAT_1 + compressor.compress(body) + compressor.flush()
