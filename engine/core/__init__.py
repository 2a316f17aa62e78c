"""The core: the domain's rules and services (items, flows and their routing, the
officer directory, deadlines, follow-up, signatures, verification), over `engine.store`
and the plugin contract. Every interface calls these; none of them imports an interface.
"""
