import unittest

from servebench_py.edge import allow_header, canonical_path


class EdgeTest(unittest.TestCase):
    """The same cases as packages/contract/src/edge.test.ts: both sides must decide alike."""

    def test_canonical_path(self) -> None:
        self.assertEqual(canonical_path('/hello_world?x=1'), '/hello_world')
        self.assertEqual(canonical_path('/hello_world#frag'), '/hello_world')
        self.assertEqual(canonical_path('/hello%5Fworld'), '/hello_world')
        self.assertEqual(canonical_path('/hello%5fw%6Frld'), '/hello_world')
        self.assertEqual(canonical_path('/%2Fhello_world'), '/%2Fhello_world')
        self.assertEqual(canonical_path('/%zz%41'), '/%zzA')
        self.assertEqual(canonical_path('//hello_world'), '//hello_world')

    def test_allow_header(self) -> None:
        self.assertEqual(allow_header('/hello_world'), 'GET, HEAD, OPTIONS')
        self.assertEqual(allow_header('/predict'), 'OPTIONS, POST')
        self.assertIsNone(allow_header('/hello_world/'))
        self.assertIsNone(allow_header('/HELLO_WORLD'))
