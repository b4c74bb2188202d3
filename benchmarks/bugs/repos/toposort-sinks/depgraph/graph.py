from collections import deque


class CycleError(ValueError):
    def __init__(self, nodes: list[str]) -> None:
        super().__init__(f"dependency cycle among {', '.join(sorted(nodes))}")
        self.nodes = nodes


def topological_order(edges: dict[str, list[str]]) -> list[str]:
    """Every node after the nodes it depends on; ``edges[a]`` lists what ``a`` points to.

    An edge ``a -> b`` means ``a`` must come before ``b``. Ties are broken alphabetically.
    """
    indegree: dict[str, int] = {node: 0 for node in edges}
    for targets in edges.values():
        for target in targets:
            indegree[target] = indegree.get(target, 0) + 1
    ready = deque(sorted(n for n, d in indegree.items() if d == 0))
    order: list[str] = []
    while ready:
        node = ready.popleft()
        order.append(node)
        for target in sorted(edges.get(node, [])):
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
    if len(order) != len(indegree):
        raise CycleError([n for n, d in indegree.items() if d > 0])
    return order
