from titrate.cli import entry

entry()
