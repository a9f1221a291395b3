"""Where training and backtests compute: the step's own process, or a Dask cluster.

One setting chooses (`compute`, docs/compute.md): `in_process` (the default), `local_cluster`
(a Dask LocalCluster started for the step and closed after it), `kubernetes` (a DaskCluster
per step made through the dask-kubernetes operator, its workers on the training pod's node
pool with the same node selector and tolerations) or a scheduler address to connect to. On a
cluster the step never reads the panel: each worker reads its series' rows of the Parquet
snapshot from the object store (`read_snapshot_series`).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import dagster as dg
from pydantic import Field

from core.settings import Settings

__all__ = [
    "TrainingCompute",
    "dask_cluster_spec",
    "read_snapshot_series",
    "spot_pool_placement",
]

# The label the operator's pods carry, and the network policies select on.
DASK_POD_LABEL = {"quantis.io/compute": "dask"}
WORKER_PORT, NANNY_PORT = 8789, 8790  # a worker's own port and its nanny's


def spot_pool_placement(
    node_selector: dict[str, str], gpu_toleration_key: str, gpu_limit: int
) -> dict[str, Any]:
    """Node selector, tolerations and GPU limits of a pod on the training node pool: the
    training step's pod and the Dask workers of its cluster alike."""
    placement: dict[str, Any] = {"node_selector": dict(node_selector), "tolerations": []}
    placement["gpu_limits"] = {"nvidia.com/gpu": str(gpu_limit)} if gpu_limit > 0 else {}
    if gpu_limit > 0:
        placement["tolerations"] = [
            {"key": gpu_toleration_key, "operator": "Exists", "effect": "NoSchedule"}
        ]
    return placement


def dask_cluster_spec(
    name: str,
    *,
    image: str,
    workers: int,
    threads_per_worker: int,
    memory: str,
    node_selector: dict[str, str],
    gpu_toleration_key: str,
    gpu_limit: int,
    env_from: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The `DaskCluster` resource (kubernetes.dask.org/v1) of one step: workers on the
    training pool (GPU limit and toleration included when `gpu_limit` > 0), the scheduler on
    ordinary nodes, both running the training image with the platform's configuration."""
    from dask_kubernetes.operator import make_cluster_spec

    spec = make_cluster_spec(
        name=name,
        image=image,
        n_workers=workers,
        resources={"requests": {"memory": memory}, "limits": {"memory": memory}},
        env={},  # the platform's settings come from envFrom below
        # fixed ports, so that the network policies can name them (deploy/kubernetes/base)
        worker_command=(
            f"dask worker --nthreads {threads_per_worker} --memory-limit 0 "
            f"--worker-port {WORKER_PORT} --nanny-port {NANNY_PORT}"
        ),
    )
    placement = spot_pool_placement(node_selector, gpu_toleration_key, gpu_limit)
    worker_pod = spec["spec"]["worker"]["spec"]
    worker_pod["nodeSelector"] = placement["node_selector"]
    if placement["tolerations"]:
        worker_pod["tolerations"] = placement["tolerations"]
    worker = worker_pod["containers"][0]
    worker["ports"] += [
        {"name": "tcp-worker", "containerPort": WORKER_PORT, "protocol": "TCP"},
        {"name": "tcp-nanny", "containerPort": NANNY_PORT, "protocol": "TCP"},
    ]
    worker["resources"] = {
        "requests": {"cpu": str(threads_per_worker), "memory": memory},
        "limits": {"memory": memory, **placement["gpu_limits"]},
    }
    for role in ("worker", "scheduler"):
        pod = spec["spec"][role]["spec"]
        # quantis-dagster's IRSA role reads the snapshot from S3; no Kubernetes API token
        pod["serviceAccountName"] = "quantis-dagster"
        pod["automountServiceAccountToken"] = False
        for container in pod["containers"]:
            container["envFrom"] = list(env_from)
            container["securityContext"] = {
                "runAsNonRoot": True,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
            }
    spec["metadata"]["labels"] = dict(DASK_POD_LABEL)
    return spec


def read_snapshot_series(store_url: str, s3_endpoint_url: str | None, key: str, series: list):
    """On a worker: the rows of `series` in the Parquet snapshot `key` of the object store,
    sorted by series and time. The object is fetched whole (compressed: a few bytes a row) and
    only the rows of these series are decoded."""
    import pyarrow.parquet as pq

    from core.storage import open_object_store

    store = open_object_store(store_url, s3_endpoint_url=s3_endpoint_url)
    table = pq.read_table(io.BytesIO(store.get_bytes(key)), filters=[("unique_id", "in", series)])
    frame = table.to_pandas()
    return frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


class TrainingCompute(dg.ConfigurableResource):
    """A Dask client for the training and backtest steps, or none (in the step's process)."""

    mode: str = Field(
        default="in_process",
        description="in_process, local_cluster, kubernetes, or a Dask scheduler address.",
    )
    workers: int = Field(default=2, description="Workers of a cluster started for a step.")
    threads_per_worker: int = Field(default=1, description="Threads per worker.")
    lightgbm: str = Field(default="one_worker", description="one_worker or data_parallel.")
    worker_memory: str = Field(default="8Gi", description="Kubernetes worker memory.")
    worker_image: str = Field(default="quantis/dagster:latest", description="Worker image.")
    namespace: str = Field(default="quantis", description="Namespace of per-step DaskClusters.")
    node_selector: dict[str, str] = Field(default_factory=dict, description="Worker nodes.")
    gpu_toleration_key: str = Field(default="nvidia.com/gpu", description="GPU taint key.")
    gpu_limit: int = Field(default=0, description="GPUs per Kubernetes worker.")

    @classmethod
    def from_settings(cls, settings: Settings) -> TrainingCompute:
        return cls(
            mode=settings.compute,
            workers=settings.compute_workers,
            threads_per_worker=settings.compute_threads_per_worker,
            lightgbm=settings.compute_lightgbm,
            worker_memory=settings.compute_worker_memory,
            worker_image=settings.compute_worker_image,
            namespace=settings.compute_namespace,
            node_selector=settings.train_node_selector,
            gpu_toleration_key=settings.train_gpu_toleration_key,
            gpu_limit=settings.train_gpu_limit,
        )

    @property
    def in_process(self) -> bool:
        return self.mode == "in_process"

    @contextmanager
    def client(self) -> Iterator[Any]:
        """A connected Dask client for one step (None in process); a cluster started here is
        closed when the block ends, also when it raises."""
        if self.in_process:
            yield None
            return
        from distributed import Client

        with self._cluster() as address_or_cluster, Client(address_or_cluster) as client:
            yield client

    @contextmanager
    def _cluster(self) -> Iterator[Any]:
        if self.mode == "local_cluster":
            from distributed import LocalCluster

            with LocalCluster(
                n_workers=self.workers,
                threads_per_worker=self.threads_per_worker,
                processes=True,
                dashboard_address=None,
            ) as cluster:
                yield cluster
        elif self.mode == "kubernetes":
            from dask_kubernetes.operator import KubeCluster

            spec = self.kubernetes_spec(f"quantis-train-{uuid.uuid4().hex[:8]}")
            with KubeCluster(
                custom_cluster_spec=spec, namespace=self.namespace, shutdown_on_close=True
            ) as cluster:
                yield cluster
        else:
            yield self.mode  # a scheduler address: the cluster outlives the step

    def kubernetes_spec(self, name: str) -> dict[str, Any]:
        return dask_cluster_spec(
            name,
            image=self.worker_image,
            workers=self.workers,
            threads_per_worker=self.threads_per_worker,
            memory=self.worker_memory,
            node_selector=self.node_selector,
            gpu_toleration_key=self.gpu_toleration_key,
            gpu_limit=self.gpu_limit,
            env_from=[
                {"configMapRef": {"name": "app-configmap"}},
                {"secretRef": {"name": "app-secrets", "optional": True}},
            ],
        )

    def partitions(self, client: Any, storage: Any, snapshot_key: str, series: Sequence[str]):
        """The snapshot's `series` as parts on the workers, each worker reading its own
        (`storage`: the ObjectStorage resource; a few parts per worker thread)."""
        from models.cluster import SeriesPartitions

        reader = partial(read_snapshot_series, storage.url, storage.s3_endpoint_url, snapshot_key)
        workers = len(client.scheduler_info()["workers"]) or self.workers
        return SeriesPartitions.read(client, reader, series, 2 * workers * self.threads_per_worker)
