"""Administration (issue 14): the one service behind the command line, /admin/api/ and the console."""
