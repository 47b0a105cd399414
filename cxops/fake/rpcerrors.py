"""The stand-in's RPC errors: what a handler raises for the server to turn into a gRPC status.

A module of its own so that the handler modules (service, versions, validation, conversation,
the runtime) raise them without importing the service that imports them.
"""

from __future__ import annotations

import grpc


class RpcFailure(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> RpcFailure:
    return RpcFailure(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(name: str) -> RpcFailure:
    return RpcFailure(grpc.StatusCode.NOT_FOUND, f"{name} not found.")
