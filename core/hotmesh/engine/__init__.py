"""The engine that runs YAML-modelled workflow apps."""
