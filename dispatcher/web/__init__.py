"""Web plumbing shared by the HTTP adapters (`dispatcher.api`, `dispatcher.desk`): the services
a web process holds, request dependencies, admission, templating, outage pages."""
