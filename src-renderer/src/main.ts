/** @fileoverview Renderer entry: mounts the Vue app with its store. */
import { createApp } from 'vue'
import { createPinia } from 'pinia'
import 'uplot/dist/uPlot.min.css'
import './styles/theme.css'
import App from './App.vue'

createApp(App).use(createPinia()).mount('#app')
