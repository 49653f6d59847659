"""The processes Orion runs: API, worker, command line."""
