"""Forms by domain, including list filters: they clean what people type and say what is wrong beside the
field. They never write: the view passes what they cleaned to an operation."""
