"""The triton-http and tfserving-rest clients against in-process stand-ins (see standin.py): correct
answers, garbage, wrong shapes, error statuses, a hang past the deadline, and a model server that
goes away and comes back. Loopback only; every wait is bounded."""
import json
import threading
import unittest
from time import monotonic
from typing import Any, Callable, List

import numpy as np

from servebench_py.backend import create_backend, pack_batch
from servebench_py.errors import ServeError, Unavailable
from servebench_py.serve import _check_backend
from servebench_py.service import Service
from servebench_py.tfserving_rest import TfServingRestBackend
from servebench_py.triton_http import TritonHttpBackend

from .standin import StandInKServe, StandInModelServer, StandInTfServing, fake_embedding
from .support import tiny_config, tiny_model

SEQS = [[101, 7592, 1010, 2088, 999, 102], [101, 2023, 102], [101, 102]]
BATCH = pack_batch(SEQS, 0)
EXPECTED = [fake_embedding(*rows) for rows in zip(*(a.tolist() for a in BATCH))]


def backend(kind: str, url: str, **env: str) -> Any:
    return create_backend(tiny_config(BACKEND=kind, MODEL_SERVER_URL=url, **env), 'unused.onnx')


class ClientContract(unittest.TestCase):
    """The cases both clients share; subclasses name the stand-in and backend (this one is not collected, see the end)."""

    kind = ''
    stand_in_class: Callable[[], StandInModelServer]

    def setUp(self) -> None:
        self.stand_in = self.stand_in_class().start()
        self.addCleanup(self.stand_in.stop)
        self.client = backend(self.kind, self.stand_in.url, MODEL_SERVER_TIMEOUT_MS='400', MODEL_SERVER_CONNECTIONS='2')
        self.addCleanup(self.client.close)

    def assert_error(self, code: str, status: int) -> ServeError:
        """embed() fails with `code`, naming the model server and nothing of ours."""
        with self.assertRaises(ServeError) as cm:
            self.client.embed(*BATCH)
        e = cm.exception
        self.assertEqual((e.code, e.status), (code, status), e.message)
        self.assertNotIn('Traceback', e.message)
        self.assertNotIn('.py', e.message)
        self.assertIn(self.stand_in.url, e.message)
        return e

    def test_answers_with_the_model_servers_embeddings(self) -> None:
        self.assertEqual(self.client.embed(*BATCH), EXPECTED)
        self.assertTrue(self.client.ready())

    def test_garbage_is_a_bad_backend_response(self) -> None:
        self.stand_in.mode = 'garbage'
        e = self.assert_error('BAD_BACKEND_RESPONSE', 502)
        self.assertIn('not JSON', e.message)

    def test_error_statuses_map_like_the_node_clients(self) -> None:
        self.stand_in.mode = 'refuse'
        e = self.assert_error('BAD_BACKEND_RESPONSE', 502)
        self.assertIn("answered 400: unexpected shape for input 'input_ids'", e.message)
        self.stand_in.mode = 'unavailable'
        self.assert_error('BACKEND_UNAVAILABLE', 503)

    def test_a_hang_past_the_deadline_is_a_timeout_and_the_next_call_works(self) -> None:
        self.stand_in.mode = 'hang'
        t0 = monotonic()
        e = self.assert_error('BACKEND_TIMEOUT', 504)
        self.assertIn('did not answer within 400 ms (MODEL_SERVER_TIMEOUT_MS)', e.message)
        self.assertLess(monotonic() - t0, 2)
        self.assertFalse(self.client.ready())
        self.stand_in.mode = 'ok'
        self.stand_in.release.set()
        self.assertEqual(self.client.embed(*BATCH), EXPECTED)

    def test_a_model_server_that_goes_away_is_unavailable_until_it_comes_back(self) -> None:
        self.assertEqual(self.client.embed(*BATCH), EXPECTED)  # leaves a pooled keep-alive connection
        self.stand_in.stop()
        e = self.assert_error('BACKEND_UNAVAILABLE', 503)
        self.assertIn('is the model server running?', e.message)
        self.assertFalse(self.client.ready())
        self.stand_in.start()  # the same port
        self.assertTrue(self.client.ready())
        self.assertEqual(self.client.embed(*BATCH), EXPECTED)

    def test_a_pooled_connection_the_server_closed_is_replaced(self) -> None:
        self.assertEqual(self.client.embed(*BATCH), EXPECTED)
        self.stand_in.stop()
        self.stand_in.start()  # a restart between two calls: the idle connection is dead
        self.assertEqual(self.client.embed(*BATCH), EXPECTED)

    def test_concurrent_calls_share_at_most_connections_sockets(self) -> None:
        results: List[Any] = []
        threads = [threading.Thread(target=lambda: results.append(self.client.embed(*BATCH))) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(10)
        self.assertEqual(results, [EXPECTED] * 8)
        self.assertLessEqual(len(self.stand_in.peers), 2)  # MODEL_SERVER_CONNECTIONS=2


class TritonHttp(ClientContract):
    kind = 'triton-http'
    stand_in_class = StandInKServe

    def test_binary_request_format(self) -> None:
        self.client.embed(*BATCH)
        method, path, headers, body = self.stand_in.requests[-1]
        self.assertEqual((method, path, headers['content-type']), ('POST', '/v2/models/bert/infer', 'application/octet-stream'))
        n = int(headers['inference-header-content-length'])
        head = json.loads(body[:n])
        self.assertEqual([(i['name'], i['datatype'], i['shape'], i['parameters']) for i in head['inputs']], [
            (name, 'INT64', [3, 6], {'binary_data_size': 3 * 6 * 8}) for name in ('input_ids', 'attention_mask', 'token_type_ids')
        ])
        self.assertEqual(head['outputs'], [{'name': 'embedding', 'parameters': {'binary_data': True}}])
        self.assertEqual(body[n:], b''.join(a.astype('<i8').tobytes() for a in BATCH))

    def test_json_tensors(self) -> None:
        client = backend('triton-http', self.stand_in.url, TRITON_HTTP_TENSORS='json')
        self.addCleanup(client.close)
        self.assertEqual(client.embed(*BATCH), EXPECTED)
        _, _, headers, body = self.stand_in.requests[-1]
        self.assertNotIn('inference-header-content-length', headers)
        self.assertEqual(json.loads(body)['inputs'][0]['data'], BATCH[0].ravel().tolist())

    def test_bad_tensors_are_bad_backend_responses(self) -> None:
        for mode, why in [
            ('wrong_shape', 'shape [4, 4], expected [3, hidden]'),
            ('wrong_dtype', '"embedding" is "FP64", expected FP32'),
            ('no_output', 'no "embedding" output'),
            ('short_binary', '"embedding" claims 112 bytes but only 48 follow the header'),
        ]:
            with self.subTest(mode):
                self.stand_in.mode = mode
                self.assertIn(why, self.assert_error('BAD_BACKEND_RESPONSE', 502).message)

    def test_ready_needs_the_model_and_names_the_server(self) -> None:
        self.assertEqual(self.client.info()['runtime'], 'Triton (not contacted yet)')
        self.assertTrue(self.client.ready())
        self.assertEqual(self.client.info()['runtime'], 'triton 2.51.0 (KServe v2 HTTP, Python client)')
        self.assertEqual(self.client.info()['model_server_url'], self.stand_in.url)
        other = backend('triton-http', self.stand_in.url, MODEL_SERVER_MODEL='gpt')
        self.addCleanup(other.close)
        self.assertFalse(other.ready())
        self.assertIn(('GET', '/v2/models/gpt/ready'), [(m, p) for m, p, _, _ in self.stand_in.requests])


class TfServingRest(ClientContract):
    kind = 'tfserving-rest'
    stand_in_class = StandInTfServing

    def test_request_body(self) -> None:
        self.client.embed(*BATCH)
        method, path, headers, body = self.stand_in.requests[-1]
        self.assertEqual((method, path, headers['content-type']), ('POST', '/v1/models/bert:predict', 'application/json'))
        self.assertEqual(json.loads(body), {
            'signature_name': 'serving_default',
            'inputs': {name: a.tolist() for name, a in zip(('input_ids', 'attention_mask', 'token_type_ids'), BATCH)},
        })

    def test_outputs_keyed_by_name(self) -> None:
        self.stand_in.mode = 'keyed'
        self.assertEqual(self.client.embed(*BATCH), EXPECTED)

    def test_bad_tensors_are_bad_backend_responses(self) -> None:
        for mode, why in [
            ('ragged', 'ragged or non-2-D "embedding" rows'),
            ('wrong_rows', 'shape [4, 4], expected [3, hidden]'),
            ('no_outputs', 'answered without "outputs"'),
        ]:
            with self.subTest(mode):
                self.stand_in.mode = mode
                self.assertIn(why, self.assert_error('BAD_BACKEND_RESPONSE', 502).message)

    def test_ready_needs_an_available_version(self) -> None:
        self.assertTrue(self.client.ready())
        self.assertEqual(self.client.info()['model_version'], '1')
        self.stand_in.mode = 'loading'
        self.assertFalse(self.client.ready())


class Configuration(unittest.TestCase):
    def test_the_parent_accepts_the_proxies_and_rejects_what_cannot_run(self) -> None:
        _check_backend(tiny_config(BACKEND='triton-http', MODEL_SERVER_URL='http://127.0.0.1:1'))
        _check_backend(tiny_config(BACKEND='tfserving-rest'))  # empty: the usual local port, as in Node
        for env, pattern in [
            ({'BACKEND': 'triton-grpc'}, r'^BACKEND=triton-grpc is not available in the Python stacks; available: ort, triton-http, tfserving-rest$'),
            ({'BACKEND': 'triton-http', 'MODEL_SERVER_URL': '127.0.0.1:8001'}, r'^MODEL_SERVER_URL=127.0.0.1:8001 is not a URL .*expected http://host:port$'),
            ({'BACKEND': 'tfserving-rest', 'MODEL_SERVER_URL': 'https://x'}, r'^MODEL_SERVER_URL=https://x is not'),
        ]:
            with self.subTest(env), self.assertRaisesRegex(Unavailable, pattern):
                _check_backend(tiny_config(**env))

    def test_empty_url_means_the_usual_local_port(self) -> None:
        t = TritonHttpBackend(tiny_config(BACKEND='triton-http').model_server)
        f = TfServingRestBackend(tiny_config(BACKEND='tfserving-rest').model_server)
        self.assertEqual((t.origin, f.origin), ('http://127.0.0.1:8000', 'http://127.0.0.1:8501'))


class ServiceOverTriton(unittest.TestCase):
    """The whole Service (tokenizer, queue, error replies, /readyz) over the KServe stand-in."""

    def setUp(self) -> None:
        self.stand_in = StandInKServe().start()
        self.addCleanup(self.stand_in.stop)
        config = tiny_config(BACKEND='triton-http', MODEL_SERVER_URL=self.stand_in.url, MODEL_SERVER_TIMEOUT_MS='400')
        self.service = Service(config, 'test', tiny_model(), {'server': 'unit test'})
        self.addCleanup(self.service.close)

    def test_predict_ready_and_a_dead_backend(self) -> None:
        r = self.service.predict(b'{"texts":["hello world","a"]}', 'application/json')
        self.assertEqual(r.status, 200)
        self.assertEqual(np.asarray(json.loads(r.body)['embeddings']).shape, (2, 4))
        ready = json.loads(self.service.ready().body)
        self.assertEqual((ready['backend'], ready['backend_info']['runtime']), ('triton-http', 'triton 2.51.0 (KServe v2 HTTP, Python client)'))

        self.stand_in.stop()
        r = self.service.predict(b'{"text":"hello"}', 'application/json')
        self.assertEqual((r.status, json.loads(r.body)['error']['code']), (503, 'BACKEND_UNAVAILABLE'))
        r = self.service.ready()
        self.assertEqual((r.status, json.loads(r.body)['error']['code']), (503, 'NOT_READY'))

        self.stand_in.start()
        self.assertEqual(self.service.predict(b'{"text":"hello"}', 'application/json').status, 200)
        self.assertEqual(self.service.ready().status, 200)


del ClientContract  # only its subclasses run

if __name__ == '__main__':
    unittest.main()
