// zk-bench: a load generator on the ZooKeeperWire module (placeholder while the tool lands).
print("{}")
