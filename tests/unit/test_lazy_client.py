"""The composition root builds each AWS client on first use, once per process."""

import threading

from app.container import LazyClient


class _Client:
    def describe(self) -> str:
        return "table"


def test_client_is_built_on_first_use_and_only_once_under_concurrency():
    built = []

    def build():
        built.append(1)
        return _Client()

    client = LazyClient(build)
    assert built == []  # a cold start that never uses it never pays for it
    barrier = threading.Barrier(8)
    answers = []

    def use():
        barrier.wait()
        answers.append(client.describe())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == ["table"] * 8
    assert built == [1]
