"""One module per subcommand; see softmax_parity.cli."""
