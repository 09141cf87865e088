"""Return label providers: the built-in PDF, EasyPost and Shippo, behind one port."""
