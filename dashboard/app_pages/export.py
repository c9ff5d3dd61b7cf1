"""export page."""

import streamlit as st

from dashboard.resources import get_store
from dashboard.ui import page_start

page_start("export", get_store())
st.write("coming")
